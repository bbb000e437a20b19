"""scripts/demo <language> [-d key=value ...]: render, build, run, probe the health path, report, stop."""

from __future__ import annotations

import argparse
import shutil
import sys
import time

import yaml

from dft import docker as d
from dft.dockerfile import Dockerfile
from dft.languages import languages
from dft.matrix import ROOT, questions
from dft.render import render


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--images", action="store_true",
                        help="render only, and print the images the build needs (scripts/demo forges them)")
    parser.add_argument("--rendered", action="store_true",
                        help="build what --images rendered with the same arguments, without rendering again")
    parser.add_argument("language", choices=languages())
    parser.add_argument("-d", "--data", action="append", default=[], metavar="KEY=VALUE",
                        help="an answer to a question of copier.yml, e.g. -d runtime=slim")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    data = {"language": args.language}
    for item in args.data:
        key, sep, value = item.partition("=")
        if not sep or key not in questions():
            print(f"error: -d {item}: expected KEY=VALUE with KEY one of {', '.join(questions())}", file=sys.stderr)
            return 2
        data[key] = yaml.safe_load(value) if value else ""

    project = ROOT / "demo" / args.language
    if not (args.rendered and (project / ".copier-answers.yml").exists()):
        shutil.rmtree(project, ignore_errors=True)
        try:
            render(project, data)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if args.images:
        print("\n".join(Dockerfile.of(project).images))
        return 0
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    print(f"==> rendered {project.relative_to(ROOT)} (runtime {answers['runtime']}, port {answers['port']})")

    tag, name = f"dft-demo/{args.language}:dev", f"dft-demo-{args.language}"
    print(f"==> docker build -t {tag} {project.relative_to(ROOT)}")
    build = d.build(project, tag)
    print(f"    built in {build.seconds:.1f} s")

    d.docker("rm", "--force", name, check=False)
    container = d.Container(tag, int(answers["port"]), f"--name={name}")
    path = answers["health_path"]
    print(f"==> docker run {name}; waiting for its HEALTHCHECK" if path else f"==> docker run {name}")
    try:
        if path:
            print(f"    healthy after {container.wait_healthy():.1f} s")
        else:
            time.sleep(2)  # no HEALTHCHECK to wait for: give the service a moment to listen
        path = path or "/"
        status, body = container.get(path)
        print(f"==> GET {container.url(path)} -> {status} {body.strip()}")
        print(f"    image size: {d.image_size(tag) / 1e6:.1f} MB")
        print(f"    runs as uid: {container.process_uid()}")
        print(f"==> stopped in {container.stop():.2f} s (exit code {container.state['ExitCode']}); "
              f"`docker start -a {name}` runs it again")
    except d.DockerError:
        container.stop()
        raise
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
