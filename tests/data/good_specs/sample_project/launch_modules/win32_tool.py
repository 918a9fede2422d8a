import win32api
