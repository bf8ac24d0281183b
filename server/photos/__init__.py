"""Photos a customer sends to their agent: cleaned (sanitise.py), held in memory only while the
case is open (memory.py), received and announced by the service (service.py). Never stored."""
