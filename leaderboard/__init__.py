"""The sciner leaderboard: lm-eval results (and the span baseline's) -> tables, plots and a page.

    python -m leaderboard build RESULTS_DIR [...] --out SITE_DIR [--push-to-hub ORG/NAME]

One module per step, data flowing one way:

* `readers`: results_*.json and samples_*.jsonl files found and read, bounded (untrusted
  input); `problems`: what was wrong with them, warned about, counted, never fatal;
* `collect`: results files -> `Run` records (`runs`), with their samples re-scored
  (`samples`);
* `identity`: which model a run evaluated, under the study's name where the study has it;
* `reference`: the study's reported F1 (Tables 1-3), shipped as CSV;
* `tables`: the study's tables with reported and difference rows; `averages`: the domain
  means; `run_tables`: all runs, per-type and error-class breakdowns (`links`: their pages);
* `plots`: the figures as SVG; `error_pages`: one page per run with samples;
* `page` (index.html, CSS and JS in `page_assets/`) and `export` (leaderboard.md / .csv /
  .json); `site` ties them together;
* `publish`: `--push-to-hub`; `write`: the site written as a whole;
* `compare` (`python -m leaderboard compare RUN_A RUN_B`): is the difference between two runs
  real? Paired tests on per-sentence counts (`pairing`, `significance`).
"""
