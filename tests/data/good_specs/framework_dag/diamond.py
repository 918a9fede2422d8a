print("diamond")
