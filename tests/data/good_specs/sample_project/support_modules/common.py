def greet() -> str:
    return "hello"
