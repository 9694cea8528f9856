"""Notebooks as a student runs them: JupyterLab started from this environment, notebooks 00 and 02 opened in a real
browser (Debian's headless Chromium, driven by selenium), Run > Run All Cells at quick scale; fails on any
error output, any stderr output, a cell left unexecuted, a picture that is missing or does not render, or a
progress widget that does not render.

Run with ``make browser-test`` (installs the ``notebooks`` and ``browser`` extras); skipped, with the reason,
where ``chromium`` / ``chromedriver`` (``apt-get install chromium chromium-driver``), selenium or JupyterLab
are absent. The notebooks are copied to a temporary folder first: the committed ones are never touched.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# two notebooks by default (about 2.5 min on 2 busy cores); VAEGAN_BROWSER_NOTEBOOKS=a.ipynb,b.ipynb (names under
# notebooks/, or paths) for others
NOTEBOOKS = [n.strip() for n in os.environ.get("VAEGAN_BROWSER_NOTEBOOKS",
                                               "00_quickstart.ipynb,02_mnist_vae_logreg.ipynb").split(",") if n.strip()]
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1400,1000"]
RUN_TIMEOUT = float(os.environ.get("VAEGAN_BROWSER_TIMEOUT", 1200))   # seconds for one notebook's cells


def _source(name):
    return name if os.path.isabs(name) else os.path.join(ROOT, "notebooks", name)


def _missing():
    why = []
    for exe in ("chromium", "chromedriver"):
        if shutil.which(exe) is None:
            why.append(f"no `{exe}` on PATH (apt-get install chromium chromium-driver)")
    for mod, extra in (("selenium", "browser"), ("jupyterlab", "notebooks")):
        try:
            __import__(mod)
        except ImportError:
            why.append(f"no {mod} (pip install -c constraints.txt -e '.[cpu,test,notebooks,browser]')")
    return "; ".join(why)


pytestmark = pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(settings_dir):
    """Every cell in the page (no windowing), so the test sees each output's rendering; no update checks."""
    for rel, value in (("@jupyterlab/notebook-extension/tracker.jupyterlab-settings", {"windowingMode": "none"}),
                       ("@jupyterlab/apputils-extension/notification.jupyterlab-settings",
                        {"checkForUpdates": False, "fetchNews": "false"})):
        path = os.path.join(settings_dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(value, f)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free loopback port with a token, its root a copy of the notebooks."""
    root = tmp_path_factory.mktemp("lab")
    os.makedirs(root / "notebooks")
    for name in NOTEBOOKS:
        shutil.copy(_source(name), root / "notebooks" / os.path.basename(name))
    jdir = root / "jupyter"
    _settings(str(jdir / "settings"))
    port, token = _free_port(), "vaegan-browser-test"
    env = dict(os.environ, VAEGAN_SCALE="quick", JUPYTER_CONFIG_DIR=str(jdir / "config"),
               JUPYTER_DATA_DIR=str(jdir / "data"), JUPYTER_RUNTIME_DIR=str(jdir / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(jdir / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(jdir / "ws"),
               IPYTHONDIR=str(jdir / "ipython"))
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.root_dir={root}",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),   # CI runs as root
        cwd=str(root), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (root / "jupyterlab.log").read_text()[-3000:])
                time.sleep(1)
        yield {"base": base, "token": token, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    os.environ.setdefault("SE_OFFLINE", "true")   # the driver is given: selenium-manager must download nothing
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for flag in CHROME_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, script, what, timeout, poll=1.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(poll)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


# the notebook panel JupyterLab shows, through the app object that --LabApp.expose_app_in_browser exposes
PANEL = """
const app = window.jupyterapp;
// shell.currentWidget follows the focus, which a headless window may never give: take the notebook panel in
// the main area (the test opens one at a time, &reset) and activate it, so that notebook:run-all-cells acts on it
let p = app && app.shell.currentWidget;
if (app && !(p && p.sessionContext)) {
  p = Array.from(app.shell.widgets('main')).filter(w => w.sessionContext && w.content).pop() || null;
  if (p) { app.shell.activateById(p.id); }
}"""
READY = PANEL + """
return !!(p && p.content && p.context && p.context.isReady && p.sessionContext && p.sessionContext.session
          && p.sessionContext.session.kernel && p.sessionContext.session.kernel.status === 'idle');"""
STATE = PANEL + """
const cells = p.content.model.cells, out = [];
for (let i = 0; i < cells.length; i++) {
  const c = cells.get(i);
  out.push({type: c.type, count: c.type === 'code' ? c.executionCount : null,
            outputs: c.type === 'code' ? c.outputs.toJSON() : []});
}
const busy = Array.from(document.querySelectorAll('.jp-InputPrompt')).some(e => e.textContent.includes('*'));
return {kernel: p.sessionContext.session.kernel.status, busy: busy, cells: out};"""
WIDGETS = """
return Array.from(document.querySelectorAll('.jp-OutputArea-output'))
            .filter(e => e.querySelector('.widget-progress, .jupyter-widgets')).length;"""
RENDERED = """
return Array.from(document.querySelectorAll('.jp-OutputArea-output img'))
            .filter(im => im.complete && im.naturalWidth > 0 && im.naturalHeight > 0).length;"""


def _committed_pictures(path):
    with open(path) as f:
        nb = json.load(f)
    return [sum("image/png" in o.get("data", {}) for o in c.get("outputs", []))
            for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(lab, browser, name):
    start = time.time()
    source, name = _source(name), os.path.basename(name)
    browser.get(f"{lab['base']}/lab/tree/notebooks/{name}?token={lab['token']}&reset")
    _wait(browser, READY, f"{name} open with an idle kernel", 180)
    opened = time.time()
    browser.execute_script("return window.jupyterapp.commands.execute('notebook:run-all-cells');")
    deadline, idle_polls, state = time.time() + RUN_TIMEOUT, 0, None
    while time.time() < deadline:           # done: the kernel idle and no [*] prompt, three polls running
        time.sleep(2)
        state = browser.execute_script(STATE)
        idle_polls = idle_polls + 1 if state["kernel"] == "idle" and not state["busy"] else 0
        if idle_polls >= 3:
            break
    else:
        pytest.fail(f"{name}: still running after {RUN_TIMEOUT:.0f} s")
    ran = time.time()
    browser.save_screenshot(str(lab["root"] / f"{name}.png"))

    code = [c for c in state["cells"] if c["type"] == "code"]
    problems = []
    for i, c in enumerate(code):
        for o in c["outputs"]:
            if o.get("output_type") == "error":
                problems.append(f"code cell {i}: {o.get('ename')}: {o.get('evalue')}")
            elif o.get("output_type") == "stream" and o.get("name") == "stderr":
                text = o["text"] if isinstance(o["text"], str) else "".join(o["text"])
                problems.append(f"code cell {i} wrote to stderr: {text.strip()[:300]}")
        if c["count"] is None:
            problems.append(f"code cell {i} was not executed")
    committed = _committed_pictures(source)
    now = [sum("image/png" in o.get("data", {}) for o in c["outputs"]) for c in code]
    for i, (want, got) in enumerate(zip(committed, now)):
        if got < want:
            problems.append(f"code cell {i}: {got} picture(s), the committed notebook has {want}")
    widgets = sum("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in code for o in c["outputs"])
    shown = browser.execute_script(WIDGETS)
    if shown < widgets:                     # a progress bar that did not render shows as text or an error
        problems.append(f"{widgets} widget outputs (progress bars), {shown} rendered in the page")
    rendered = browser.execute_script(RENDERED)
    if rendered < sum(now):
        problems.append(f"{sum(now)} pictures in the outputs, {rendered} rendered in the page")
    print(f"{name}: opened in {opened - start:.0f} s, all cells ran in {ran - opened:.0f} s; "
          f"{sum(now)} pictures, {rendered} rendered; {widgets} widgets, {shown} rendered; "
          f"screenshot {lab['root'] / (name + '.png')}")
    assert not problems, f"{name} in JupyterLab:\n" + "\n".join(problems)
