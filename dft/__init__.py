"""dockerfile-templates' own Python, what the scripts and the test-suite share: the languages' folders
(languages), the combinations copier.yml makes (matrix) and their distinct Dockerfiles (targets),
rendering with copier (render), the Docker CLI (docker), Renovate on a rendered project (renovate), and the
tools scripts/ runs (demo, examples, needs)."""

import os
from pathlib import Path

# State that outlives a run (the private engine, its images, tools, copier's floor release), as
# scripts/lib/setup.sh places it: $DFT_HOME, or the user's cache folder.
DFT_HOME = Path(os.environ.get("DFT_HOME") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "dockerfile-templates")
