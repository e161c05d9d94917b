from nkfmt import nkprint
import os
assert os.environ["NVM_PATH"].endswith("nvm_path_dir")
nkprint(42, 1.5)
