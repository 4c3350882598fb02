"""Start Loomwork: `python app.py` (or `make run`, or `loom serve`)."""

from integrations.serve import main

if __name__ == "__main__":
    main()
