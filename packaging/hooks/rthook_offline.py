# PyInstaller runtime hook: runs before the bundled app's own code, so ONNX Runtime's telemetry
# and the Hugging Face Hub are off however the bundle is started (see assistant/offline.py).
from assistant import offline

offline.apply()
