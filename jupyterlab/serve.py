#!/usr/bin/env python3
"""JupyterLab 3.6 on the repo's notebooks, with the repo's TypeScript kernel (autodim-tslab).

Serves the front end built in jupyterlab/build/ (`npm ci && npm run build` in jupyterlab/) as a
jupyter_server extension app through jupyterlab_server's LabServerApp, as JupyterLab's own
examples/app/main.py does. Debian/Ubuntu: `apt-get install python3-jupyterlab-server
python3-jupyter-server` (run this with that Python, /usr/bin/python3). Any jupyter_server option
passes through, e.g. `python3 jupyterlab/serve.py --port=8889 --no-browser`.

It starts at the repo root (the default folder it serves, so notebooks/ is one click away) and
puts the repo's .jupyter/ first on JUPYTER_PATH, so the kernel "autodim-tslab" is found (its
launcher starts tslab at the repo root, so the notebooks' `./src/...` imports resolve).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BUILD = os.path.join(HERE, "build")

try:
    from jupyterlab_server import LabServerApp
    from traitlets import Unicode
except ImportError as e:
    sys.exit(
        f"serve.py: {e} (Python {sys.executable}). JupyterLab's server side comes from "
        "`apt-get install python3-jupyterlab-server python3-jupyter-server` (Debian/Ubuntu; "
        "then run this with /usr/bin/python3) or `pip install 'jupyterlab_server>=2.16,<3' "
        "'jupyter_server>=1.23,<2'`."
    )

if not os.path.exists(os.path.join(BUILD, "bundle.js")):
    sys.exit(
        f"serve.py: the front end is not built ({BUILD}/bundle.js is missing): "
        f"run `npm ci && npm run build` in {HERE}"
    )

# Configuration files on disk (~/.jupyter) do not affect this app, as in examples/app.
os.environ["JUPYTER_NO_CONFIG"] = "1"
kernels = os.path.join(REPO, ".jupyter")
os.environ["JUPYTER_PATH"] = os.pathsep.join(
    [kernels] + [p for p in os.environ.get("JUPYTER_PATH", "").split(os.pathsep) if p and p != kernels]
)
os.chdir(REPO)

with open(os.path.join(HERE, "package.json")) as fid:
    version = json.load(fid)["version"]


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": AutodimLab}]


class AutodimLab(LabServerApp):
    extension_url = "/lab"
    default_url = "/lab"
    name = __name__
    load_other_extensions = False
    app_name = "JupyterLab (autodim)"
    # overrides.json there: no news or update checks (their handlers, /lab/api/news and
    # /lab/api/update, are the jupyterlab package's, not jupyterlab_server's: a check would end in
    # a "Path Not Found" dialog that also stops /lab/tree/<path> from opening its notebook).
    app_settings_dir = os.path.join(HERE, "settings")
    app_version = version
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    # Configurable (the UI test points them at a temp folder): --AutodimLab.user_settings_dir=...
    user_settings_dir = Unicode(os.path.join(BUILD, "user_settings")).tag(config=True)
    workspaces_dir = Unicode(os.path.join(BUILD, "workspaces")).tag(config=True)

    def initialize_settings(self):
        super().initialize_settings()
        settings = self.serverapp.web_app.settings
        settings["terminals_available"] = False
        # New notebooks (the launcher, File > New) get the repo's kernel.
        self.serverapp.kernel_manager.default_kernel_name = "autodim-tslab"


if __name__ == "__main__":
    AutodimLab.launch_instance()
