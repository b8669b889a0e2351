# Startup cost only (not part of the suite).
