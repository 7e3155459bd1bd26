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
P0 = 12         # first op-specific field
WIDTH = 36

# ledger columns (mstsim.ledger.COLUMNS order)
EV_IN, EV_OUT, ACS, EFF, MACS, NEURON, BIAS, ELEM, DROPPED = range(9)

# matmul variants
SS, AS, SA, AA = range(4)
