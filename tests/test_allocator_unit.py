"""The C allocator's settings for a run's processes (`run.allocator`)."""

from __future__ import annotations

import ctypes
import platform
import sys

import pytest

from nd_sim.run import allocator


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_glibc_keeps_freed_memory_unit() -> None:
    assert allocator.keep_freed_memory()


def test_another_c_library_is_left_alone_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    class Musl:  # has a mallopt, but not glibc's
        def __init__(self, name: str | None) -> None:
            self.mallopt = lambda option, value: pytest.fail("mallopt called")

    monkeypatch.setattr(ctypes, "CDLL", Musl)
    assert not allocator.keep_freed_memory()


def test_a_c_library_without_mallopt_is_left_alone_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoMallopt:  # macOS's libc, as ctypes sees it
        def __init__(self, name: str) -> None:
            pass

        def __getattr__(self, name: str):
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    assert not allocator.keep_freed_memory()


def test_windows_and_macos_are_left_alone_unit(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_call(name: str | None) -> None:
        raise TypeError("argument of type 'NoneType' is not iterable")  # Windows' CDLL(None)

    monkeypatch.setattr(ctypes, "CDLL", no_call)
    for platform_name in ("win32", "darwin", "linux"):
        monkeypatch.setattr(sys, "platform", platform_name)
        assert not allocator.keep_freed_memory()
