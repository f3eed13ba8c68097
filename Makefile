.PHONY: bootstrap test lint typecheck bench demo analytics sandbox readme clean

bootstrap:  ## install the tap, its dev tools and the pipeline tools
	scripts/bootstrap.sh

test: bootstrap lint typecheck  ## ruff, mypy and the whole test suite (what CI runs)
	.venv/bin/python -m pytest -n 3 --dist loadfile --durations=25  # three workers: many tests wait on sandbox latency and pacing; a file stays on one

lint:
	.venv/bin/ruff check tap_webinars tests bench scripts
	.venv/bin/ruff format --check tap_webinars tests bench scripts

typecheck:
	.venv/bin/mypy tap_webinars

bench: bootstrap
	.venv/bin/python -m bench

demo: bootstrap  ## sandbox -> tap -> PostgreSQL for every platform, then a table of rows landed
	.venv/bin/python scripts/demo.py

analytics: bootstrap  ## the dbt package's tests: real loads into PostgreSQL and DuckDB, dbt build
	.venv/bin/python -m pytest tests/test_analytics_dbt.py

readme:  ## regenerate the README's settings table from the plug-in registry
	.venv/bin/python scripts/readme_settings.py

sandbox: bootstrap
	.venv/bin/tap-webinars-sandbox --port 8765

clean:
	rm -rf .venv .venv-* .meltano output demo-output .pytest_cache .mypy_cache .ruff_cache
