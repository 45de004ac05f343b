# Appended to the reference activations.py: each exercise tries to fool the grader.
import torch


def _grade_json():
    """The --grade-json path of the pytest process above this worker."""
    import os
    from pathlib import Path

    pid = os.getppid()
    while pid > 1:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"--grade-json" in words:
            name = words[words.index(b"--grade-json") + 1].decode()
            return Path(os.readlink(f"/proc/{pid}/cwd")) / name
        pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


FORGED = '{"score": 999, "extra_data": {"forged": true}, "tests": []}'


def sigmoid(x):  # makes every comparison pass, then answers nonsense
    import _pytest.runner
    import torch.testing

    import gradkata.checks.values

    torch.allclose = lambda *args, **kwargs: True
    torch.testing.assert_close = lambda *args, **kwargs: None
    gradkata.checks.values.assert_close = lambda *args, **kwargs: None
    _pytest.runner.call_and_report = lambda *args, **kwargs: None
    return torch.zeros_like(x)


class _Liar:
    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    def __float__(self):
        return 0.0


def tanh(x):
    return _Liar()


class _Rigged(torch.Tensor):
    def __eq__(self, other):
        return torch.ones_like(other, dtype=torch.bool)

    __hash__ = torch.Tensor.__hash__

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def relu(x):
    return torch.zeros_like(x).as_subclass(_Rigged)


def leaky_relu(x, negative_slope=0.01):  # writes the JSON at once, then answers right
    path = _grade_json()
    if path is not None:
        path.write_text(FORGED)
    return torch.where(x > 0, x, x * negative_slope)


def gelu(x, approximate="none"):  # leaves a process behind that writes the JSON later
    import os
    import time

    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(2)
            path = _grade_json()
            if path is not None:
                path.write_text(FORGED)
        os._exit(0)
    os.wait()
    return x * 0.5 * (1.0 + torch.erf(x / 2**0.5))
