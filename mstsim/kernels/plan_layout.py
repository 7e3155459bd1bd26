"""The layout of a compiled step plan: op codes and the fields of each node's code row.

Shared by the plan builder (``mstsim.engine.plan``) and the runner kernel.
Every node is one row of an int64 table; ``P0 + i`` are the op's own fields.
"""

# op codes
INPUT_ANALOG, INPUT_EVENTS, AFFINE, CONV, POOL_SUM, ONE_TO_ONE, IF, ADD, REMAP, OUTPUT, SOFTMAX, LAYER_NORM, \
    GELU, MAX_POOL, ELEMENTWISE, MATMUL, MASK = range(17)

# fields of a code row
OP = 0          # op code
KIND = 1        # 0 dense output, 1 event output
SIZE = 2        # output elements per sample
OFF = 3         # float workspace offset of the dense output, or of the event values
IOFF = 4        # int workspace offset of the event indices
NIN = 5         # number of inputs
INS = 6         # ints offset of the input node numbers
DENSE_AT = 7    # ints offset of each input's dense location in the float workspace
NEED_DENSE = 8  # 1 when event inputs are summed into their dense location before the op
STATIC = 9      # 1 when the output is the same at every step (depends on the analog input only)
STATE = 10      # offset of the node's state (IF membranes, output running sum)
CAP = 11        # event capacity
P0 = 12         # first op-specific field (up to P0 + 21)
# counting as a spike-driven implementation would (docs/accounting.md, affine of events and pool rules)
SHD = 34        # int workspace offset of the underlying events of an affine-of-events output (-1: none)
SHD_OFS = 35    # 1 when that tensor carries a constant offset (a folded BatchNorm shift)
SHD_THRU = 36   # 1 when its underlying events sit in a pool's input (pool rule "through")
SHD_SRC = 37    # how they are made: COPY, TOUCHED, CONCAT, MOVE (below)
SHD_IN = 38     # 1 when some input carries underlying events
FAN_S = 39      # ints offset of the fan-out table of underlying input events (-1: the node's own)
EFF_S = 40      # the same for effective synapses
MAT = 41        # 1 when the node materialises its affine-of-events inputs (an AC per event, offset adds)
QUIET = 42      # 1 when the node is folded into its consumers and costs nothing
MARK = 43       # float scratch of a pool's touched outputs; MARK + 1: ones for marking (flts)
SHD_FORM = 45   # how they are kept: LIST, or EITHER (a list or counts, decided each step: SHD_FLAG)
SHD_LEN = 46    # elements of their counts (the pool input's, for a "through" pool's output)
CNT_AT = 47     # ints offset of each input's counts location in the int workspace (MOVE)
SHD_FLAG = 48   # int workspace slot of an EITHER node's form this step (1: counts, 0: a list)
MOVE_FAN = 49   # most targets of one input element of a remap (bounds the events a MOVE makes)
SHD_SPARSE = 50  # an EITHER node keeps a list while (a bound on) its events <= its size // SHD_SPARSE
ENTRY = 51      # the slot of the node's op in the runner's table of entries (kernels.plan_entries)
WIDTH = 52

# ways an affine-of-events tensor gets its underlying events
COPY, TOUCHED, CONCAT, MOVE = range(1, 5)
# forms of underlying events: element indices, or a dense int64 count per element
LIST, EITHER = 0, 1
# a merge or move keeps a list while its events are at most 1 / LIST_DENSITY of its elements (the
# plan's SHD_SPARSE; 1 or more, so that the list fits in the room of the counts); up to
# LIST_ALWAYS_UP_TO elements (int64 maps in L2) a list whenever it fits: moving one costs a few cycles
LIST_DENSITY = 16
LIST_ALWAYS_UP_TO = 32768

# ledger columns (mstsim.ledger.COLUMNS order)
EV_IN, EV_OUT, ACS, EFF, MACS, NEURON, BIAS, ELEM, DROPPED = range(9)

# matmul variants
SS, AS, SA, AA = range(4)
