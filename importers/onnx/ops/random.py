"""RandomUniform(Like) outside the RSM pattern: refused (the IR has no random source)."""
from ..registry import register


def _random(node, ctx):
    raise ctx.error("random tensors are only supported inside the Random Spike Masking pattern "
                    "x * (RandomUniform(Like) > p) (the mask must have x's shape)")


register("RandomUniform", 1)(_random)
register("RandomUniformLike", 1)(_random)
