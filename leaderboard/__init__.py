"""The sciner leaderboard: lm-eval results (and the span baseline's) -> tables, figures and a page.
Usage: README.md. One module per step, data flowing one way:

* `__main__`: the CLI, `build` and `compare`.
* `readers`: finds and reads results_*.json and samples_*.jsonl, bounded (untrusted input).
* `problems`: what was wrong with the input; warned about, counted, never fatal.
* `collect`: results files -> `Run` records.
* `runs`: the `Run` record, and which runs are the same run.
* `samples`: logged samples read and re-scored.
* `identity`: which model a run evaluated, under the study's name where the study has it.
* `reference`: the study's reported F1, from `reference/*.csv`.
* `numbers`: fractions shown as percentages.
* `tables`: Tables 1-3 and the cross-dataset table, with reported and difference rows.
* `averages`: the mean F1 over each domain's sets.
* `run_tables`: all runs, and the per-type and error-class breakdowns.
* `links`: where a run's error page lives.
* `plots`: the figures as SVG.
* `error_pages`: one page per run with logged samples.
* `assets`: the pages' CSS and JavaScript, from `page_assets/`.
* `page`: index.html.
* `export`: leaderboard.md, .csv and .json.
* `site`: everything one build shows.
* `write`: the site folder, written as a whole.
* `publish`: `--push-to-hub`.
* `compare`: two runs compared task by task.
* `pairing`: two runs of a task paired sentence by sentence.
* `significance`: the paired bootstrap and approximate randomisation tests.
"""
