import sys

from tests.forge.forge import main

sys.exit(main(sys.argv[1:]))
