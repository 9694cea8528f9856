# Two commands (see README):  make demo   |   make test
# Re-execute the notebooks in place at medium scale (the committed outputs):  make notebooks
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

.PHONY: install demo test unit nbval notebooks bench faults faults-quick mutants claims clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# pip does not know that mxnet and mxnet-cu112 conflict: remove the other one first.
	$(BIN)/python -m pip uninstall -y -q $(OTHER) || true
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$(EXTRA),test]"
	$(BIN)/python -m pip check
	@# compile the vectorised Adam kernel now (cached; without a compiler training uses MXNet's own, same results)
	$(BIN)/python -m vaegan_gluon.train.fastadam || true
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(BIN)/vaegan run mnist-vae-logreg --scale $(SCALE) --ctx $(CTX) --overwrite

unit: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m pytest tests

nbval: install
	VAEGAN_SCALE=quick OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env --sanitize-with notebooks/sanitize.cfg notebooks/

test: unit nbval

# One notebook at a time: two anime notebooks side by side oversubscribe 2 cores and can exhaust 24 GB.
# papermill passes the parameters (scale, ctx; NB_PARAMS for more, e.g. NB_PARAMS="-p seed 3") to each
# notebook's `parameters` cell; it writes to a temporary file, so a notebook that fails is left as it was.
NB_SCALE  ?= medium
NOTEBOOKS ?= $(sort $(wildcard notebooks/[0-9]*.ipynb))
notebooks: install
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[$(EXTRA),test,notebooks]"
	$(BIN)/python -m pip check
	for nb in $(NOTEBOOKS); do \
	  echo "== $$nb ($(NB_SCALE))"; tmp=$$(mktemp --suffix=.ipynb); \
	  $(BIN)/papermill "$$nb" "$$tmp" --cwd notebooks -k python3 -p scale $(NB_SCALE) -p ctx $(CTX) $(NB_PARAMS) \
	    && $(BIN)/python -m vaegan_gluon.notebook_params --strip-injected "$$tmp" \
	    && chmod 644 "$$tmp" && mv "$$tmp" "$$nb" || { rm -f "$$tmp"; exit 1; }; \
	done

bench: install
	$(BIN)/vaegan bench

# The faults campaign (README "Faults tried"): kill -9 + resume, broken checkpoints, failing writes, two runs
# one folder, fuzzed settings and images; table + raw JSON in benchmarks/results/faults/. CI runs the reduced one.
faults: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m benchmarks.faults

faults-quick: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/python -m benchmarks.faults --quick

# The claims campaign (vaegan claims run): the plan's runs one at a time; kill it any time, run it again to go on.
claims: install
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-$(NPROC)} $(BIN)/vaegan claims run

# Each documented mutation of a core rule (benchmarks/mutants.py) must make its tests fail.
mutants: install
	$(BIN)/python -m benchmarks.mutants

clean:
	rm -rf $(VENV) .pytest_cache
