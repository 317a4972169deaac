"""A summary with the host: intro and outro come out of the listening time, not on top of it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.config import load_settings
from bot.pipeline.run import MIN_SUMMARY_SHARE, Pipeline
from bot.pipeline.script import estimate_seconds
from bot.pipeline.summarize import target_words
from tests.support.summaries import load_fixtures

ARTICLE = next(f for f in load_fixtures() if f.name == "wirtschaft-quartal").article


async def test_the_host_takes_his_time_out_of_the_summary(tmp_path: Path) -> None:
    pipeline = Pipeline(load_settings(HOERCLUB_DATA_DIR=tmp_path, HOERCLUB_SUMMARY_SECONDS=90))
    try:
        alone = await pipeline.summarize(ARTICLE, "extractive")
        hosted = await pipeline.summarize(ARTICLE, "extractive", intro=True)
        host = pipeline.host_seconds(ARTICLE)
        # The intro names the title, site, author, date and both lengths; the outro the title.
        assert 10 < host < 40
        assert hosted.article.words < alone.article.words
        body = estimate_seconds(hosted.article.words)
        assert abs(body + host - 90) <= 90 * 0.2
        # A host who would talk for most of the time still leaves the summary its share.
        bylined = dataclasses.replace(ARTICLE, author=", ".join(["Erika Muster"] * 60))
        assert pipeline.host_seconds(bylined) > 90 * (1 - MIN_SUMMARY_SHARE)
        floor = await pipeline.summarize(bylined, "extractive", intro=True)
        least = target_words(90 * MIN_SUMMARY_SHARE)
        assert least * 0.8 <= floor.article.words <= least * 1.2
    finally:
        await pipeline.aclose()
