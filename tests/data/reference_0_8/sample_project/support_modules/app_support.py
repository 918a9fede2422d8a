HELLO = "support"
