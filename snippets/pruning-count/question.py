import torch
import torch.nn as nn
import torch.nn.utils.prune as prune


class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 5)


model = SimpleModel()
prune.l1_unstructured(model.fc, name="weight", amount=0.4)
zero_weights = torch.sum(model.fc.weight == 0).item()
print(zero_weights)

# The usual answer, checked: 40% of the 10 x 5 = 50 weights.
print(f"claim: the count is 40% of the 50 weights, 20: {zero_weights == 20}")

# The option of the page's answer prediction that this run shows (the build keys it on this line).
print(f"answer: {zero_weights}")
