"""Regenerates the lockfiles of the Node.js template (one per package manager) and of the Rust template.

`python -m dft.lockfiles [node] [rust]` (both when none is named) renders the sample's
manifests, has the package manager lock them, and writes each lockfile back into the template folder as a
template: the project's name becomes `{{ project_slug }}`.
- Node.js: npm, pnpm and yarn from the npm registry, run by the host's Node.js through npx. Yarn's
  lockfile is compared as text by `yarn install --immutable` and sorts the project's own entry by name
  among the packages, so its template places that entry where the slug sorts.
- Rust: the host's cargo (`cargo generate-lockfile`, which keeps to crates whose rust-version the
  package's allows). Cargo.lock sorts the packages by name too, and a cargo command that is not
  `--locked` rewrites one that is out of order, so its template places the project's entry likewise.
  The health probe's Cargo.lock (.healthprobe/, no dependencies) holds no project name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from dft.matrix import ROOT
from dft.languages import profile
from dft.render import render

TEMPLATE = ROOT / "templates" / "node"
RUST = ROOT / "templates" / "rust"
PROBE_LOCK = RUST / "{% if health_path %}.healthprobe{% endif %}" / "Cargo.lock"
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
    keys = [re.match(r'"?([^"\n]+?)"?:\n', e).group(1) for e in packages]
    return ("{#- Written by `python -m dft.lockfiles`: regenerate it rather than edit it. yarn sorts\n"
            "    the entries by key, the project's own (<slug>@workspace:.) among them. -#}\n"
            "{%- set workspace = project_slug ~ '@workspace:.' -%}\n"
            "{%- set entry -%}\n" + ours.replace(NAME, "{{ project_slug }}") + "\n{%- endset -%}\n"
            + header + "\n\n" + sorted_among("workspace", keys, packages))


def cargo_template(lockfile: str) -> str:
    """Cargo.lock with the project's [[package]] entry placed by Jinja where the slug sorts by name."""
    header, *entries = lockfile.rstrip("\n").split("\n\n")
    ours = next(e for e in entries if e.startswith(f'[[package]]\nname = "{NAME}"\n'))
    packages = [e for e in entries if e is not ours]
    keys = [re.match(r'\[\[package\]\]\nname = "([^"]+)"\n', e).group(1) for e in packages]
    return ("{#- Written by `python -m dft.lockfiles`: regenerate it rather than edit it. Cargo sorts\n"
            "    the packages by name, the project's own among them. -#}\n"
            "{%- set entry -%}\n" + ours.replace(NAME, "{{ project_slug }}") + "\n{%- endset -%}\n"
            + header + "\n\n" + sorted_among("project_slug", keys, packages))


def sorted_among(ours: str, keys: list[str], packages: list[str]) -> str:
    """The packages (entries separated by blank lines), with `{{ entry }}` printed where the Jinja
    expression `ours` sorts among their keys (sorted already, as the lockfile has them)."""
    keys = [json.dumps(key) for key in keys]
    out = []
    for i, (key, entry) in enumerate(zip(keys, packages)):
        after = f" and {ours} > {keys[i - 1]}" if i else ""
        out += [f"{{% if {ours} < {key}{after} %}}{{{{ entry }}}}\n\n{{% endif %}}", entry, "\n\n"]
    out[-1] = f"{{% if {ours} > {keys[-1]} %}}\n\n{{{{ entry }}}}{{% endif %}}\n"
    return "".join(out)


def node() -> None:
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
        write(template_path(manager), text)


def rust() -> None:
    env = {**os.environ, "CARGO_HTTP_CAINFO": os.environ.get("CARGO_HTTP_CAINFO", "/etc/ssl/certs/ca-certificates.crt")}
    with tempfile.TemporaryDirectory(prefix="lock-cargo-") as tmp:
        project = render(Path(tmp) / "project", {"language": "rust", "project_name": NAME, "project_slug": NAME,
                                                   "health_path": "/healthz"})
        service, probe = (cargo_lock(package, env) for package in (project, project / ".healthprobe"))
    write(RUST / "Cargo.lock.jinja", cargo_template(service))
    write(PROBE_LOCK, probe)


def cargo_lock(package: Path, env: dict[str, str]) -> str:
    (package / "Cargo.lock").unlink(missing_ok=True)
    subprocess.run(["cargo", "generate-lockfile"], cwd=package, env=env, check=True, stdout=sys.stderr)
    return (package / "Cargo.lock").read_text()


def write(path: Path, text: str) -> None:
    path.write_text(text)
    print(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")


def main() -> None:
    languages = {"node": node, "rust": rust}
    for language in sys.argv[1:] or languages:
        languages[language]()


if __name__ == "__main__":
    main()
