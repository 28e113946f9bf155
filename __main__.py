"""``python -m afterschool`` runs the command line."""
from afterschool.cli import main

main()
