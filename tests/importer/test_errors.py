"""Bad files give the documented errors, naming the file, node and op."""
import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from mstsim.importers.onnx import (BatchError, MalformedModel, NoQCFS, UnsafeExternalData, UnsupportedOp,
                                   from_onnx)
from mstsim.ir.errors import MstsimError

from .onnx_build import model, qcfs_nodes

mk = helper.make_node


def _qcfs_model():
    nodes, consts = qcfs_nodes("x", "y", lam=1.0, levels=4)
    return model(nodes, (2, 6), consts)


def test_garbage_bytes(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x00\xffnot a protobuf\x12\x99" * 10)
    with pytest.raises(MalformedModel, match="junk.onnx"):
        from_onnx(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "cut.onnx"
    data = _qcfs_model().SerializeToString()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(MalformedModel, match="cut.onnx"):
        from_onnx(path)


def test_missing_file(tmp_path):
    with pytest.raises(MalformedModel, match="no such file"):
        from_onnx(tmp_path / "none.onnx")


def test_unsupported_op(tmp_path):
    nodes, consts = qcfs_nodes("h", "y", lam=1.0, levels=4)
    m = model([mk("Sin", ["x"], ["h"], name="my_sin")] + nodes, (2, 6), consts)
    path = tmp_path / "sin.onnx"
    onnx.save(m, str(path))
    with pytest.raises(UnsupportedOp, match=r"(?s)sin.onnx: node .my_sin. \(Sin\).*opset 18.*\nSupported ops:.*Conv") as err:
        from_onnx(path)
    assert isinstance(err.value, MstsimError)


def test_no_qcfs(tmp_path):
    path = tmp_path / "relu.onnx"
    onnx.save(model([mk("Relu", ["x"], ["y"])], (2, 6)), str(path))
    with pytest.raises(NoQCFS, match="relu.onnx.*no QCFS"):
        from_onnx(path)


def test_external_data_outside_folder(tmp_path):
    nodes, consts = qcfs_nodes("m", "y", lam=1.0, levels=4)
    m = model([mk("MatMul", ["x", "W"], ["m"])] + nodes, (2, 6),
              {**consts, "W": np.ones((6, 64), np.float32)})
    inner = tmp_path / "inner"
    inner.mkdir()
    (tmp_path / "secret.bin").write_bytes(np.ones(6 * 64, np.float32).tobytes())
    w = next(t for t in m.graph.initializer if t.name == "W")
    w.ClearField("raw_data")
    w.data_location = onnx.TensorProto.EXTERNAL
    for k, v in (("location", "../secret.bin"), ("offset", "0"), ("length", str(6 * 64 * 4))):
        w.external_data.add(key=k, value=v)
    path = inner / "model.onnx"
    path.write_bytes(m.SerializeToString())
    with pytest.raises(UnsafeExternalData, match="outside the model's folder"):
        from_onnx(path)


def test_batch_mixing_reshape_is_refused():
    nodes, consts = qcfs_nodes("r", "y", lam=1.0, levels=4)
    m = model([mk("Reshape", ["x", "s"], ["r"])] + nodes, (2, 6), {**consts, "s": np.array([3, 4], np.int64)})
    with pytest.raises(BatchError, match="re-export"):
        from_onnx(m)


def test_dynamic_batch_needs_no_shape_but_dynamic_dims_do():
    m = _qcfs_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "n"
    with pytest.raises(MstsimError, match="input_shape"):
        from_onnx(m)
    assert from_onnx(m, input_shape=(6,)).input_shape == (6,)
