"""The Flask edge: the app factory (``app``), the webhooks (one blueprint per feature:
``voice``, ``sms``, ``fallback``, ``health``, ``audio``), TwiML rendering (``twiml``),
signatures (``security``), logs and metrics (``observability``), "text me this"
(``textme``) and the typed services a request uses (``services``)."""
