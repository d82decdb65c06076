"""The Chinese spaCy pipeline Rasa's SpacyNLP loads: jieba with a domain word list and an entity ruler."""
