"""Services: the only code that writes. They flush; the request, job or command commits."""
