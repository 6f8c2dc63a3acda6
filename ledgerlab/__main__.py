from ledgerlab.cli import main

main()
