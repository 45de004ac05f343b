"""Card labels in each language the card speaks (``--lang``)."""

LANGUAGES = ("en", "zh")

LABELS = {
    "en": {
        "passed": "passed",
        "failed": "failed",
        "todo": "todo",
        "error": "error",
        "missing": "missing",
        "total": "total",
        "exercises_passed": "exercises passed",
        "next_up": "next up",
        "colon": ": ",
        "blocked_by": "blocked by",
        "all_done": "all selected exercises pass — well done",
        "grading": "grading",
        "seed": "seed",
        "profile": "hypothesis profile",
        "stopped_early": "the run stopped early (-x / --maxfail): only the checks that ran count",
    },
    "zh": {
        "passed": "通过",
        "failed": "未通过",
        "todo": "待完成",
        "error": "出错",
        "missing": "缺失",
        "total": "总分",
        "exercises_passed": "个练习通过",
        "next_up": "下一个",
        "colon": "：",
        "blocked_by": "被阻塞于",
        "all_done": "所选练习全部通过，做得好",
        "grading": "评分对象",
        "seed": "随机种子",
        "profile": "hypothesis 配置",
        "stopped_early": "运行提前停止（-x / --maxfail）：只计入已运行的检查",
    },
}


def labels_for(lang: str) -> dict[str, str]:
    return LABELS.get(lang, LABELS["en"])
