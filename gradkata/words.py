"""What the ``gradkata`` commands say, in each language they speak (``--lang en|zh``).

The grade card's own labels live in :mod:`gradkata.report.labels`; these are
the commands' messages around it. Every key exists in every language, with
the same ``{placeholders}`` (a self-test checks both).
"""



from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "no_catalog": "gradkata: no catalog.toml here or above: run this in the course directory",
        "unknown_exercise": "gradkata: there is no exercise {value!r}.{close}",
        "did_you_mean": " Did you mean: {names}?",
        "not_one_exercise": "gradkata: {value!r} is a whole topic; "
                            "name one exercise, e.g. {example}",
        "grading_failed": "gradkata: grading could not run:",
        "grading_topics": "grading {topics} …",
        "progress": "grading … {done}/{total} checks",
        "from_cache": "from the last run ({when}): nothing changed since · "
                      "gradkata status --refresh grades everything again",
        "partly_cached": "graded again: {topics} ({seconds:.1f} s); "
                         "the other topics are from the last run",
        "all_graded": "graded every topic ({seconds:.1f} s)",
        "next_header": "next up: {number} {id}",
        "next_state_failed": "your last attempt failed {family}: {explanation}",
        "next_state_blocked": "blocked by {number} {id}: that one comes first",
        "next_state_error": "{explanation}",
        "next_tips": "a hint: gradkata hint {number} · grade it: gradkata check {number} · "
                     "grade on every save: gradkata watch {number}",
        "all_done": "every exercise passes: well done",
        "hint_header": "hints for {number} {id}",
        "hint_level": "hint {level}/{total}:",
        "hint_more": "{left} more: run gradkata hint {number} again",
        "hint_last": "that was the last hint; the docstring at {where} has the details",
        "hint_reset": "hints for {number} {id} forgotten: the next one is hint 1 again",
        "hint_none": "gradkata: no hints for {id} in hints.toml",
        "hint_which": "gradkata: which exercise? e.g. gradkata hint 4.1 "
                      "(or run gradkata status first)",
        "watch_warming": "warming up: importing torch and grading once …",
        "watch_start": "watching {folder} — every save grades {what} (Ctrl-C to stop)",
        "watch_what_topic": "the topic of the saved file",
        "watch_saved": "[{clock}] saved {files} · graded in {seconds:.2f} s",
        "watch_stop": "stopped watching",
        "watch_missing": "{file} is gone; waiting for it to come back …",
        "kata_start": "kata {number} {id}: {minutes} · edit {file}",
        "kata_safe": "a fresh copy of the stub: your own files in {folder}/ are not touched",
        "kata_previous": "your previous attempt at this kata is kept as {file}",
        "kata_minutes": "{minutes:g} min",
        "kata_left": "{clock} left · {verdict}",
        "kata_not_graded": "not graded yet: save the file",
        "kata_time_up": "time is up: the final grade of your kata",
        "kata_stopped": "kata stopped early: the grade so far",
    },
    "zh": {
        "no_catalog": "gradkata：当前目录及其上级目录中没有 catalog.toml：请在课程目录中运行",
        "unknown_exercise": "gradkata：没有名为 {value!r} 的练习。{close}",
        "did_you_mean": "你是不是想找：{names}？",
        "not_one_exercise": "gradkata：{value!r} 是整个主题；请指定一个练习，例如 {example}",
        "grading_failed": "gradkata：无法运行评分：",
        "grading_topics": "正在评分 {topics} …",
        "progress": "正在评分 … {done}/{total} 项检查",
        "from_cache": "来自上次运行（{when}）：之后没有改动 · "
                      "gradkata status --refresh 可全部重新评分",
        "partly_cached": "已重新评分：{topics}（{seconds:.1f} 秒）；其余主题来自上次运行",
        "all_graded": "已为全部主题评分（{seconds:.1f} 秒）",
        "next_header": "下一个：{number} {id}",
        "next_state_failed": "上次尝试未通过 {family} 检查：{explanation}",
        "next_state_blocked": "被 {number} {id} 阻塞：请先完成那个练习",
        "next_state_error": "{explanation}",
        "next_tips": "提示：gradkata hint {number} · 评分：gradkata check {number} · "
                     "每次保存自动评分：gradkata watch {number}",
        "all_done": "所有练习都已通过，做得好",
        "hint_header": "{number} {id} 的提示",
        "hint_level": "提示 {level}/{total}：",
        "hint_more": "还有 {left} 条：再次运行 gradkata hint {number}",
        "hint_last": "这是最后一条提示；更多细节见 {where} 处的文档字符串",
        "hint_reset": "已清除 {number} {id} 的提示进度：下一条又是提示 1",
        "hint_none": "gradkata：hints.toml 中没有 {id} 的提示",
        "hint_which": "gradkata：哪个练习？例如 gradkata hint 4.1（或先运行 gradkata status）",
        "watch_warming": "正在预热：导入 torch 并先评分一次 …",
        "watch_start": "正在监视 {folder} —— 每次保存都会为 {what} 评分（按 Ctrl-C 停止）",
        "watch_what_topic": "所保存文件的主题",
        "watch_saved": "[{clock}] 已保存 {files} · 评分用时 {seconds:.2f} 秒",
        "watch_stop": "已停止监视",
        "watch_missing": "{file} 不见了；正在等待它重新出现 …",
        "kata_start": "型（kata）{number} {id}：{minutes} · 请编辑 {file}",
        "kata_safe": "这是练习桩的全新副本：你在 {folder}/ 中的文件不会被改动",
        "kata_previous": "你上一次的尝试保存在 {file}",
        "kata_minutes": "{minutes:g} 分钟",
        "kata_left": "剩余 {clock} · {verdict}",
        "kata_not_graded": "尚未评分：保存文件即可",
        "kata_time_up": "时间到：这是你本次 kata 的最终评分",
        "kata_stopped": "kata 提前结束：这是目前的评分",
    },
}


def say(lang: str, key: str, **values) -> str:
    """The message ``key`` in ``lang`` (English when there is no such language)."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**values)
