"""`boxoffice counter`: the desk screen (screen.py) and its keyboard (keyboard.py); the rules are in
services/counter.py."""
