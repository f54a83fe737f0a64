from hubecon.cli import main

main()
