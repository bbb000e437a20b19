"""Regenerates the Node.js template's lockfiles (one per package manager) from its package.json.

`python -m tests.harness.lockfiles` renders the sample's package.json for each package manager, has
that manager lock it (npm, pnpm and yarn from the npm registry, run by the host's Node.js through npx),
and writes the lockfile back into templates/node/ as a template: the project's name becomes
`{{ project_slug }}`. Yarn's lockfile is compared as text by `yarn install --immutable` and sorts the
project's own entry by name among the packages, so its template places that entry where the slug sorts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness.matrix import ROOT
from tests.harness.profiles import profile
from tests.harness.render import render

TEMPLATE = ROOT / "templates" / "node"
NAME = "lockfile-sample"  # sorts among the packages like no real package name
LOCKFILES = {"npm": "package-lock.json", "pnpm": "pnpm-lock.yaml", "yarn": "yarn.lock"}
LOCK_COMMANDS = {
    "npm": ["npm", "install", "--package-lock-only", "--ignore-scripts"],
    "pnpm": ["npx", "--yes", "pnpm@{version}", "install", "--lockfile-only", "--ignore-scripts"],
    "yarn": ["npx", "--yes", "@yarnpkg/cli-dist@{version}", "install", "--mode=update-lockfile"],
}


def template_path(manager: str) -> Path:
    name = LOCKFILES[manager]
    return TEMPLATE / f"{{% if package_manager == '{manager}' %}}{name}{{% endif %}}.jinja"


def yarn_template(lockfile: str) -> str:
    """yarn.lock with the project's entry (NAME@workspace:.) placed by Jinja where the slug sorts."""
    header, metadata, *rest = re.split(r"\n\n(?=\S)", lockfile.rstrip("\n"))
    header += "\n\n" + metadata  # the comment, then __metadata, which yarn writes first
    ours = next(e for e in rest if e.startswith(f'"{NAME}@workspace:.":'))
    packages = [e for e in rest if e is not ours]
    keys = [json.dumps(re.match(r'"?([^"\n]+?)"?:\n', e).group(1)) for e in packages]
    out = ["{#- Written by `python -m tests.harness.lockfiles`: regenerate it rather than edit it. yarn sorts\n"
           "    the entries by key, the project's own (<slug>@workspace:.) among them. -#}\n"
           "{%- set workspace = project_slug ~ '@workspace:.' -%}\n"
           "{%- set entry -%}\n" + ours.replace(NAME, "{{ project_slug }}") + "\n{%- endset -%}\n",
           header, "\n\n"]
    for i, (key, entry) in enumerate(zip(keys, packages)):
        after = f" and workspace > {keys[i - 1]}" if i else ""
        out += [f"{{% if workspace < {key}{after} %}}{{{{ entry }}}}\n\n{{% endif %}}", entry, "\n\n"]
    out[-1] = f"{{% if workspace > {keys[-1]} %}}\n\n{{{{ entry }}}}{{% endif %}}\n"
    return "".join(out)


def main() -> None:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": os.environ.get("NODE_EXTRA_CA_CERTS", "/etc/ssl/certs/ca-certificates.crt")}
    versions = profile("node").versions
    for manager, name in LOCKFILES.items():
        with tempfile.TemporaryDirectory(prefix=f"lock-{manager}-") as tmp:
            project = render(Path(tmp) / "project", {"language": "node", "package_manager": manager,
                                                       "project_name": NAME, "project_slug": NAME})
            (project / name).unlink(missing_ok=True)
            command = [part.format(version=versions[manager]) for part in LOCK_COMMANDS[manager]]
            subprocess.run(command, cwd=project, env=env, check=True, stdout=sys.stderr)
            text = (project / name).read_text()
        if manager == "yarn":
            text = yarn_template(text)
        else:
            text = text.replace(NAME, "{{ project_slug }}")
        template_path(manager).write_text(text)
        print(f"{template_path(manager).relative_to(ROOT)}: {len(text.splitlines())} lines")


if __name__ == "__main__":
    main()
