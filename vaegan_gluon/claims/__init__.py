"""The claims board: the studies' claims (:mod:`.catalogue`), the rule that judges them (:mod:`.rule`),
the validity gates (:mod:`.gates`), and run folders -> ``claims.json`` / ``claims.md`` (:mod:`.board`).

CLI: ``vaegan claims RUN_DIR... [--out DIR] [--readme README.md]``. Nothing here trains.
"""
from .board import (VERDICTS, build_claims, claims_markdown, collect_runs, judge_claim, keep_small_outputs,
                    readme_block, readme_markdown, report_markdown, select, splice_readme, write_claims)
from .catalogue import BARS, CLAIMS
from .rule import RULE, judge, summarise

__all__ = ["BARS", "CLAIMS", "RULE", "VERDICTS", "build_claims", "claims_markdown", "collect_runs", "judge",
           "judge_claim", "keep_small_outputs", "readme_block", "readme_markdown", "report_markdown", "select",
           "splice_readme", "summarise", "write_claims"]
