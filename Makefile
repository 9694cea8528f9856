# Two commands (see README):  make demo   |   make test
# JupyterLab on the notebooks:  make lab  (LAB_SCALE=first|quick|medium|full; the browser test: make browser-test)
# Re-execute the notebooks in place at medium scale (the committed outputs):  make notebooks
# The book (HTML of the README, docs/ and the notebooks' committed outputs, offline, nothing executed):  make book
# Re-sync the notebooks' text twins (notebooks/text/, jupytext):  make sync
# GPU:  make demo DEVICE=gpu  (installs mxnet-cu112 after removing the CPU mxnet; needs CUDA 11.2, cuDNN 8, NCCL 2)
PYTHON ?= python3
VENV   ?= .venv
DEVICE ?= cpu
SCALE  ?= quick
EXTRA   = $(if $(filter gpu,$(DEVICE)),cu112,cpu)
OTHER   = $(if $(filter gpu,$(DEVICE)),mxnet,mxnet-cu112)
CTX     = $(if $(filter gpu,$(DEVICE)),gpu:0,cpu)
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(EXTRA)
NPROC  := $(shell nproc 2>/dev/null || echo 2)

.PHONY: install demo test unit nbval lint notebooks lab browser-test bench faults faults-quick mutants claims board clean book sync

# pip -q still relays setuptools' "Editable installation" notice (information only: nothing to act on).
PIP_INSTALL = $(BIN)/python -W "ignore:Editable installation:UserWarning" -m pip install -q -c constraints.txt
NB_STAMP    = $(VENV)/.installed-$(EXTRA)-notebooks

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# pip does not know that mxnet and mxnet-cu112 conflict: remove the other one first.
	! $(BIN)/python -m pip show -q $(OTHER) 2>/dev/null || $(BIN)/python -m pip uninstall -y -q $(OTHER)
	$(PIP_INSTALL) -e ".[$(EXTRA),test]"
	$(BIN)/python -m pip check
	@# compile the vectorised Adam kernel now (cached; without a compiler training uses MXNet's own, same results).
	@# Imported, not run with -m: runpy would load fastadam twice (a RuntimeWarning and a second FastAdam registration).
	$(BIN)/python -c "import sys; from vaegan_gluon.fast import kernels; sys.exit(kernels.main())" || true
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/vaegan run mnist-vae-logreg --scale $(SCALE) --ctx $(CTX) --overwrite

# tests/browser (a real JupyterLab in headless Chromium) runs from `make browser-test`, not here.
unit: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m pytest tests --ignore=tests/browser

nbval: install
	VAEGAN_SCALE=quick OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env --sanitize-with notebooks/sanitize.cfg notebooks/

test: unit nbval

# ruff (pinned in the test extra), configured in pyproject.toml: pycodestyle + pyflakes at 120 columns
lint: install
	$(BIN)/ruff check .

# One notebook at a time: two anime notebooks side by side oversubscribe 2 cores and can exhaust 24 GB.
# papermill passes the parameters (scale, ctx; NB_PARAMS for more, e.g. NB_PARAMS="-p seed 3") to each
# notebook's `parameters` cell; it writes to a temporary file, so a notebook that fails is left as it was.
NB_SCALE  ?= medium
NOTEBOOKS ?= $(sort $(wildcard notebooks/[0-9]*.ipynb))
# The notebooks extra (JupyterLab, nbconvert, papermill) against the same pins, then pip check.
$(NB_STAMP): $(STAMP)
	$(PIP_INSTALL) -e ".[$(EXTRA),test,notebooks]"
	$(BIN)/python -m pip check
	touch $@

notebooks: $(NB_STAMP)
	for nb in $(NOTEBOOKS); do \
	  echo "== $$nb ($(NB_SCALE))"; tmp=$$(mktemp --suffix=.ipynb); \
	  $(BIN)/papermill "$$nb" "$$tmp" --cwd notebooks -k python3 -p scale $(NB_SCALE) -p ctx $(CTX) $(NB_PARAMS) \
	    && $(BIN)/python -m vaegan_gluon.experiments.notebook_params --strip-injected "$$tmp" \
	    && chmod 644 "$$tmp" && mv "$$tmp" "$$nb" || { rm -f "$$tmp"; exit 1; }; \
	done

# JupyterLab on notebooks/. The scale is read by every notebook (VAEGAN_SCALE): first (the default here) is a first
# look, medium's models on a quarter of the data (a minute or a few a run, faces learned); quick trains in seconds
# (too short for faces to learn); medium is the lessons' scale (minutes a run on 2 cores); full the study's.
LAB_SCALE ?= $(or $(VAEGAN_SCALE),first)
LAB_PORT  ?= 8888
lab: $(NB_STAMP)
	@echo "JupyterLab on notebooks/ at scale $(LAB_SCALE) (make lab LAB_SCALE=first|quick|medium|full to change it)."
	@echo "Open the http://127.0.0.1:$(LAB_PORT)/lab?token=... URL that JupyterLab prints below; Ctrl-C twice stops it."
	VAEGAN_SCALE=$(LAB_SCALE) OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/jupyter lab \
	  --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	  $(if $(DISPLAY)$(WAYLAND_DISPLAY),,--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

# Notebooks 00 and 02 run in a real JupyterLab in headless Chromium at quick scale (tests/browser/test_jupyterlab.py,
# about 2.5 min); needs Debian's chromium and chromium-driver (skipped with the reason otherwise). CI runs it.
browser-test: $(NB_STAMP)
	$(PIP_INSTALL) -e ".[$(EXTRA),test,notebooks,browser]"
	$(BIN)/python -m pip check
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m pytest -p no:cacheprovider -rs -v tests/browser

bench: install
	$(BIN)/vaegan bench

# The faults campaign (README "Faults tried"): kill -9 + resume, broken checkpoints, failing writes, two runs
# one folder, fuzzed settings and images; table + raw JSON in benchmarks/results/faults/. CI runs the reduced one.
faults: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m benchmarks.faults

faults-quick: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m benchmarks.faults --quick

# Everything generated from the kept runs: the board (claims.json/.md, README block), the plan, each notebook's
# board block and the README's notebooks table. Run after a campaign keeps new runs.
board: install
	$(BIN)/vaegan claims results/reference/claims_runs --out results/reference --readme README.md > /dev/null
	$(BIN)/vaegan claims plan --out docs/claims-plan.md > /dev/null
	$(BIN)/python -m vaegan_gluon.experiments.claims_text notebooks/
	$(BIN)/python -m vaegan_gluon.experiments.notebooks_table --readme README.md
	$(MAKE) --no-print-directory sync

# The claims campaign (vaegan claims run): the plan's runs one at a time; kill it any time, run it again to go on.
claims: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/vaegan claims run

# Each documented mutation of a core rule (benchmarks/mutants.py) must make its tests fail.
mutants: install
	$(BIN)/python -m benchmarks.mutants

# The book: Jupyter Book 1.x (Sphinx + MyST-NB) renders README.md, docs/ and the notebooks with their committed
# outputs to _build/html/, offline and without executing anything (book/_config.yml, book/_toc.yml; docs/book.md).
BOOK_STAMP = $(VENV)/.installed-$(EXTRA)-book
$(BOOK_STAMP): $(STAMP)
	$(PIP_INSTALL) -e ".[$(EXTRA),test,book]"
	$(BIN)/python -m pip check
	$(BIN)/python -c "import numpy, mxnet; assert numpy.__version__ == '1.23.5', numpy.__version__"
	touch $@

book: $(BOOK_STAMP)
	$(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --path-output . -q
	@# offline: no page may load a script, stylesheet, image or frame from the network (links to sites are fine)
	@! grep -rlE '<(script|link|img|iframe)[^>]*(src|href)="(https?:)?//' _build/html --include=*.html \
	  || { echo "make book: the pages above load from the network"; exit 1; }
	@echo "The book: _build/html/index.html"

# The notebooks' text twins (notebooks/text/NAME.py, paired by jupytext.toml), written from the notebooks: one way,
# never a notebook (an edit made in a twin goes back with jupytext --sync: docs/book.md). tests/test_book.py checks.
sync: install
	$(BIN)/python -c "import jupytext" 2>/dev/null || $(PIP_INSTALL) jupytext
	$(BIN)/jupytext --quiet --to text//py:percent notebooks/[0-9]*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache
