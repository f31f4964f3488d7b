import torch.nn as nn
import torch.nn.utils.prune as prune


class ConvModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, bias=False)


model = ConvModel()
raised = None
try:
    prune.l1_unstructured(model.conv, name="bias", amount=0.3)
except Exception as error:  # noqa: BLE001 - which exception it is, is the question
    raised = error
    print(f"{type(error).__name__}: {error}")

# The usual answer, checked: it says this raises ValueError.
print(f"claim: pruning a bias that is None raises ValueError: {isinstance(raised, ValueError)}")

# The option of the page's answer prediction that this run shows (the build keys it on this line).
print(f"answer: {type(raised).__name__ if raised else 'Nothing: the call succeeds'}")
