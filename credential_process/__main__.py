import sys

from credential_process.cli import main

sys.exit(main())
