"""The full-screen counter (`boxoffice counter`): Textual screens over the same service calls as the command line.

Nothing here holds a rule: every action is one call into services/, so the journal, the audit trail and sync are
the same whether a sale was typed as a command or made on the screen. Only this package imports Textual.
"""
