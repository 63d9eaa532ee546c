// Saving and loading a module's state dict as a safetensors checkpoint.
using DotGrad.Backends;

namespace DotGrad.Models;

/// <summary>Checkpoints for any <see cref="Module"/>: its <see cref="Module.StateDict"/> in the safetensors format.</summary>
public static class ModuleCheckpoints
{
    /// <summary>
    /// Writes the module's parameters and persistent buffers, under their dotted names, to a safetensors file
    /// (atomically; see <see cref="Safetensors.Save"/>). Python reads it with <c>safetensors.torch.load_file(path)</c>
    /// and <c>model.load_state_dict(...)</c> when the names match.
    /// </summary>
    public static void SaveSafetensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var state = module.StateDict();
        try
        {
            Safetensors.Save(path, state, metadata);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Loads a safetensors file into the module with <see cref="Module.LoadStateDict"/>: strict by default (the error
    /// lists every missing, unexpected and mis-shaped key); values are converted to each parameter's dtype and device.
    /// </summary>
    public static void LoadSafetensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        // Read onto the CPU: LoadStateDict moves each value to its parameter's device.
        var state = Safetensors.Load(path, Device.Cpu);
        try
        {
            module.LoadStateDict(state, strict);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }
}
