"""What ``gradkata batch`` and ``gradkata autograde`` say, in English and Chinese (``--lang``).

The reasons a submission could not be graded land in its JSON's ``output``,
which follows ``--lang`` like the rest of the JSON. Every key exists in every
language with the same ``{placeholders}`` (a self-test checks both).
"""

# ruff: noqa: RUF001 - full-width punctuation is correct in Chinese text

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "no_modules": "no topic modules found (files such as {names}, ...)",
        "zip_unreadable": "the zip file cannot be opened: {error}",
        "zip_unsafe_path": "the zip holds an unsafe path: {path}",
        "zip_too_many": "the zip holds {count} files (at most {limit})",
        "zip_too_big": "the zip unpacks to more than {mib} MiB",
        "wall_limit": "grading took longer than the wall-clock limit of {seconds:g} s",
        "grader_crashed": "the grading process ended without a grade (exit status {status}); "
                          "the end of its output:\n{tail}",
        "ungradable_output": "gradkata {version}: this submission could not be graded: {reason}",
        "progress": "{done}/{total} done · {failed} could not be graded · {left} left",
        "progress_line": "{state}: {name} ({seconds:.0f} s) · {counts}",
        "state_graded": "graded",
        "state_ungradable": "could not be graded",
        "resuming": "{kept} of {total} submissions unchanged since the last run: kept as graded",
        "summary_ok": "{total} submissions finished · gradebook: {gradebook}",
        "summary_failed": "{count} of {total} submissions could not be graded "
                          "(their rows hold zeros; each JSON's output says why):",
        "interrupted": "stopped: {done} of {total} submissions finished · "
                       "run the same command again to resume",
        "not_posix": "gradkata {command} needs a POSIX system (Linux or macOS): each "
                     "submission is graded in a process group of its own, ended as one",
        "not_a_folder": "gradkata batch: {path} is not a directory of submissions",
        "no_submissions": "gradkata batch: {path} holds no submissions "
                          "(subdirectories or .zip files)",
        "no_such_path": "gradkata autograde: {path} does not exist",
    },
    "zh": {
        "no_modules": "找不到主题模块（例如 {names} 等文件）",
        "zip_unreadable": "无法打开 zip 文件：{error}",
        "zip_unsafe_path": "zip 文件包含不安全的路径：{path}",
        "zip_too_many": "zip 文件包含 {count} 个文件（最多 {limit} 个）",
        "zip_too_big": "zip 文件解压后超过 {mib} MiB",
        "wall_limit": "评分时间超过了 {seconds:g} 秒的时限",
        "grader_crashed": "评分进程未给出成绩就结束了（退出状态 {status}）；其输出的结尾：\n{tail}",
        "ungradable_output": "gradkata {version}：无法为此提交评分：{reason}",
        "progress": "已完成 {done}/{total} · {failed} 个无法评分 · 剩余 {left} 个",
        "progress_line": "{state}：{name}（{seconds:.0f} 秒） · {counts}",
        "state_graded": "已评分",
        "state_ungradable": "无法评分",
        "resuming": "{total} 个提交中有 {kept} 个自上次运行以来未改动：保留原成绩",
        "summary_ok": "{total} 个提交已完成 · 成绩册：{gradebook}",
        "summary_failed": "{total} 个提交中有 {count} 个无法评分"
                          "（成绩为零；各自 JSON 的 output 说明原因）：",
        "interrupted": "已停止：{total} 个提交中完成了 {done} 个 · 再次运行同一命令即可继续",
        "not_posix": "gradkata {command} 需要 POSIX 系统（Linux 或 macOS）："
                     "每个提交在独立的进程组中评分，并整体结束",
        "not_a_folder": "gradkata batch：{path} 不是存放提交的目录",
        "no_submissions": "gradkata batch：{path} 中没有提交（子目录或 .zip 文件）",
        "no_such_path": "gradkata autograde：{path} 不存在",
    },
}


def say(lang: str, key: str, **values) -> str:
    """The message ``key`` in ``lang`` (English when there is no such language)."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**values)
