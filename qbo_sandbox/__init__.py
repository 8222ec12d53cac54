"""A local QuickBooks-Online-compatible server: the Demo Company and the QBO the tests post to."""
