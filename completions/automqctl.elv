
use builtin;
use str;

set edit:completion:arg-completer[automqctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'automqctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'automqctl'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand storage 'Check storage locations before a broker uses them'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;check'= {
            cand --role 'Roles to check the store for (repeatable): data, wal, meta'
            cand --timeout 'How long any one request may take'
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand --create 'Create the bucket or directory when it does not exist'
            cand --quick 'Fewer measurements: 10, 5 and 2 requests per size instead of 50, 20 and 5'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'automqctl;storage;help'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;storage;help;check'= {
        }
        &'automqctl;storage;help;help'= {
        }
        &'automqctl;completions'= {
            cand -o 'How to print results'
            cand --output 'How to print results'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'automqctl;help'= {
            cand storage 'Check storage locations before a broker uses them'
            cand completions 'Print a shell completion script (see the README for where each shell loads it from)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'automqctl;help;storage'= {
            cand check 'Probe a location: reachability, credentials, bucket, each capability, and PUT/GET latency and throughput at 4 KiB, 1 MiB and 16 MiB. Exits 1 when the store cannot serve a role it is checked for, saying why'
        }
        &'automqctl;help;storage;check'= {
        }
        &'automqctl;help;completions'= {
        }
        &'automqctl;help;help'= {
        }
    ]
    $completions[$command]
}
