from common import greet

print(greet())
