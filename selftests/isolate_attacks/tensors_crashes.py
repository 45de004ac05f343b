# Appended to the reference tensors.py: each exercise ends its worker its own way.
import torch


def matmul(a, b):  # never returns: --call-timeout
    while True:
        pass


def outer(u, v):  # grows until --memory-limit
    hoard = []
    while True:
        hoard.append(torch.empty(64 * 2**20))  # 256 MiB each, not even touched


def l1_norm(x):
    import os

    os._exit(3)


def l2_norm(x):
    import sys

    sys.exit(2)


def cosine_similarity(u, v, eps=1e-8):  # a segmentation fault
    import ctypes

    return ctypes.string_at(0)


def one_hot(labels, num_classes, dtype=torch.float32):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
