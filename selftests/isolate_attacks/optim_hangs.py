# Appended to the reference optim.py: never finishes being imported.
while True:
    pass
