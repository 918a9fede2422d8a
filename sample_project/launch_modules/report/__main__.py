"""Print a table of the app's imports and the layer folders they were loaded from."""

from report_support import layer_of

import attrs
import idna
import tabulate
import yaml

rows = [(m.__name__, layer_of(m)) for m in (attrs, idna, tabulate, yaml)]
print(tabulate.tabulate(rows, headers=["module", "layer"]))
