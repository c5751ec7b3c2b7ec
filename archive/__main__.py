from archive.cli.main import run

# guarded: a spawned helper process imports this module as __mp_main__
if __name__ == "__main__":
    run()
