print("scipy client")
