"""Understanding a question: the knowledge's answer units and vocabulary, the question's frame,
and the declared rules that turn a frame into an answer request.

Data flows one way: ``vocabulary`` and ``units`` are built once per knowledge; ``frame`` reads
a question against them; ``rules`` decide; nothing here knows about Telegram or rendering.
"""
