"""Signals the return lifecycle sends, for the layers above it (people tells the academy's
heads at once when their return is sent back) without kpis knowing who listens."""

from django.dispatch import Signal

# Sent after the transaction that sent a return back has committed: sender=Return, ret, user.
return_sent_back = Signal()
